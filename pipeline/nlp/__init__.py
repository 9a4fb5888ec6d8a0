"""The Swedish spaCy pipeline: the model, and kommunnlp's own components."""
