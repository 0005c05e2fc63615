export class OrdersService {
  findAll() {
    return [];
  }
}
