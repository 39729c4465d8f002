"""What repairs, complaints, inquiries and emergencies share: the case lifecycle and its rules,
deadlines, and how a case is shown to staff and to residents."""
