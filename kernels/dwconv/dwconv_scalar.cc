// TODO(reference kernels work): implement
