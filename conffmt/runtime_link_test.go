package conffmt_test

// Variables are declared by the runtime modules that evaluate them
// (httpcore.RegisterVariables, from init), as in the goproxy binary:
// linking the runtime here lets this package's tests load configurations
// that use them.
import _ "goproxy/process"
