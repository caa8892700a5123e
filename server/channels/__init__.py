"""Channel adapters: each verifies its platform, translates payloads in and out, and
calls the one chat service (:mod:`server.chat`). No business logic here."""
