from tests.rabbitmq import rabbitmq_vhost

__all__ = ["rabbitmq_vhost"]
