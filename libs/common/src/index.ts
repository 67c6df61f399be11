export { InvalidOptionError, isInvalidOptionError } from './invalid-option.error';
export { checkInteger, checkNumber, checkOneOf } from './option-checks';
