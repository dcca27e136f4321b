"""The REST API service: `/api/scheduler` over the read models and the command bus (see `app.create_app`)."""
