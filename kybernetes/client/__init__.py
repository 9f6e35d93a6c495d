"""The API client every component uses to talk to the API server, as client-go is for upstream.

`rest` speaks HTTP to the server (kubeconfig credentials, verbs, watch streams); `informer` keeps a local cache of
one resource fed by LIST+WATCH and calls event handlers; `workqueue` de-duplicates and rate-limits keys for
controller workers; `leaderelection` elects one active replica over a Lease; `events` records core/v1 Events with
upstream's aggregation.
"""
