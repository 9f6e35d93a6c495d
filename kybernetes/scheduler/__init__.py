"""kube-scheduler: a scheduling queue, a node snapshot kept by informers, the plugin framework and binding."""
