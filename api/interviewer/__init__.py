"""The interviewer's own page (``/i/<token>``): their availability as a grid of days and hours
in their time zone, no sign-in (the token is the key)."""
