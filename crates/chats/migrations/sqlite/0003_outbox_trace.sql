-- The W3C traceparent of the request that made the event (NULL unless traces are exported):
-- the relay publishes it with the event, so the delivery joins the request's trace.
ALTER TABLE outbox ADD COLUMN trace TEXT;
