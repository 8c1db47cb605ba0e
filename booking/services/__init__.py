"""Services: the use cases behind the API, over the models and the pure rules."""
