"""The read model: SQL tables recruiters' views read, written by workflows and the API."""
