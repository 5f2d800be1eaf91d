"""The inbound mail gateway: transports → store (raw, first) → parse (pure) → route."""
