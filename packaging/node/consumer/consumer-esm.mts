// The same package seen from an ES module (the "import" condition of its exports map).
import polypay, { PayCoreClient, InvalidInputError } from 'polypay';
import { ecommpayCallback } from 'polypay/testing';

const client: PayCoreClient = new polypay.PayCoreClient({ baseUrl: 'http://127.0.0.1:12380' });
const isRange: boolean = new InvalidInputError('x') instanceof RangeError;
export const used: [PayCoreClient, boolean, string] = [client, isRange, ecommpayCallback({ secretKey: 's', projectId: 112, status: 'success' }).body];
