"""Orders: their states and transitions, refunds, fulfilment."""
