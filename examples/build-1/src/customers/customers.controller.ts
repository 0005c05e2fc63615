export class CustomersController {}
