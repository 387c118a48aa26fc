"""The recruiting domain: campaigns, enrolments, their statuses and the candidate thread.

Pure models and rules only: nothing here performs I/O or imports anything of ours outside
``domain``, so workflows can use it inside Temporal's sandbox.
"""
