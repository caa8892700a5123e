"""Staff services on the app database: accounts, catalogue versions, inbox, hand-offs, reports."""
