"""Webhooks: signed delivery of video events with retries."""
