#!/usr/bin/env bash
# Start what the benchmark needs when it is installed but not running: RabbitMQ (required), Redis (optional).
set -euo pipefail
if ! command -v rabbitmqctl >/dev/null; then
  echo "bench: RabbitMQ (rabbitmqctl) is not installed; it is required" >&2
  exit 1
fi
if ! rabbitmqctl status >/dev/null 2>&1; then
  echo "bench: starting RabbitMQ"
  rabbitmq-server -detached
fi
rabbitmqctl await_startup >/dev/null
if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    echo "bench: starting Redis (no persistence) for Celery's result backend"
    redis-server --daemonize yes --bind 127.0.0.1 --save '' --appendonly no >/dev/null
  fi
fi
exit 0
