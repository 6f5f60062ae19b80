"""The playground (shangliang play): its server, and the page in a real browser."""
