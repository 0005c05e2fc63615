export class OrdersService {
  findAll() {
    return [];
  }

  findOne(id: string) {
    return { id };
  }
}
