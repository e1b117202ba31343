"""Rules as code: dated parameters, one function per legal quantity, decisions that explain themselves."""
