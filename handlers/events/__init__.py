"""Community events: publishing, signing up with a capacity and a waitlist, reminders and
check-in at the door (issue 12). `flow.py` registers them."""
