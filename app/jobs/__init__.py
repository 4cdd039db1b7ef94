"""Background work: jobs enqueued once the transaction that asked for them commits, sent to RQ
queues in Redis (REDIS_URL) or, without it, run in this process right after the commit."""
