"""Where things live: S3 object keys and DynamoDB tables."""
