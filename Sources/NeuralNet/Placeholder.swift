// placeholder, replaced by the NeuralNet module
