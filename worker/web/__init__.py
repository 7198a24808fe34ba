"""HTTP receiver for approval webhooks: verify, dedupe, enqueue, answer within a second."""
