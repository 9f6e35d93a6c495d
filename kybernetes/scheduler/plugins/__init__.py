"""The default scheduler plugins, one module each (upstream's pkg/scheduler/framework/plugins)."""
