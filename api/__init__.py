"""The HTTP edge (FastAPI): ATS event bridge, webhooks, configuration and recruiter views."""
