export { InvalidOptionError, isInvalidOptionError } from './invalid-option.error';
export {
  checkInteger,
  checkKeyPrefix,
  checkNumber,
  checkOneOf,
  checkSecretToken,
  checkUrl,
  maskCredentials,
} from './option-checks';
