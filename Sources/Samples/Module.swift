// Samples: SAEHD training sample generator.
