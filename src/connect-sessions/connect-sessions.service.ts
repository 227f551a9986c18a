import { Injectable } from '@nestjs/common';
import { Tenant } from '../auth/tenant';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { toConnectSessionResponse, toConnectSessionWire } from './connect-session.mapping';
import { ConnectSessionResponseDto } from './dto/connect-session.response.dto';
import { CreateConnectSessionDto } from './dto/create-connect-session.dto';

@Injectable()
export class ConnectSessionsService {
  constructor(private readonly stackone: StackOneHttpService) {}

  async create(tenant: Tenant, dto: CreateConnectSessionDto): Promise<ConnectSessionResponseDto> {
    const wire = toConnectSessionWire(tenant, dto);
    const created = await this.stackone.createConnectSession(wire);
    return toConnectSessionResponse(created, wire);
  }
}
