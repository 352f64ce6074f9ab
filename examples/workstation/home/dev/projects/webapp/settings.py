"""Web app settings."""

import os

DEBUG = os.environ.get("DEBUG") == "1"
JWT_SECRET = "jni5jnIwtcRAqBGgjrEEjrPbYtyfI2AnkCXcXTNI"
DATABASE_PASSWORD = os.environ["DATABASE_PASSWORD"]
