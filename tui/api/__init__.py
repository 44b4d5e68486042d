"""The HTTP API (`proxytui serve`): FastAPI over `tasks.jobs`.

app.py builds the app, routes.py holds the routes, models.py their answers, params.py
the parameter checks, auth.py the bearer keys, errors.py the error JSON, serve.py the
command.
"""
