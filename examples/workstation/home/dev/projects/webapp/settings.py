"""Web app settings."""

import os

DEBUG = os.environ.get("DEBUG") == "1"
JWT_SECRET = "eAVbSmCB6Rn89o5coALBa1P4gl1dBbtqaRm6sZBS"
DATABASE_PASSWORD = os.environ["DATABASE_PASSWORD"]
