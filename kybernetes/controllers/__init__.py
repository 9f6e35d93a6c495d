"""kube-controller-manager: one module per controller, plus the manager that runs them."""
