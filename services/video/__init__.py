"""Video service: avatar videos (estimate, hold, enqueue, reconcile) and the canary."""
