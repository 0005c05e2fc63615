export class CustomersService {}
