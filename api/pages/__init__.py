"""The recruiter's pages beyond a job's board: one enrolment, campaigns, analytics."""
