"""The mitmproxy side: the add-on, holds, control endpoints and injection."""
