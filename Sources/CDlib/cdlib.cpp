// placeholder: replaced by the CDlib shim
