"""Hand-written fakes of the service's ports, each subclassing the port it stands in for."""
