"""The reference: a bare Flask app returning "hello" (`gunicorn bench.web.hello:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
