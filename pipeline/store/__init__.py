"""The outputs: Parquet schemas, the crash-safe store, SQL, checks and the data dictionary."""
