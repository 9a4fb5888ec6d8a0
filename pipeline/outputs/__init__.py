"""What people read and write back: review workbooks and curation, reports, evaluation."""
