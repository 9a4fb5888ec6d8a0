"""Building the shipped model and its data: the annotated corpus, NER training, vectors, classifiers."""
