"""Local fakes of platforms that enforce their contract and can be told to fail."""
