"""HTTP receiver for approval webhooks: verify, record in the outbox, enqueue, answer within a second."""
