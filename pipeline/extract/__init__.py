"""From analysed documents to rows: entities, roles, labels and partnerships."""
