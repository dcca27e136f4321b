"""The message bus: its port, the RabbitMQ and in-memory adapters, leader election and broker tools."""
