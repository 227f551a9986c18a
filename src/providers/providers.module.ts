import { Module } from '@nestjs/common';
import { StackOneModule } from '../stackone/stackone.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { ProvidersController } from './providers.controller';
import { ProvidersService } from './providers.service';

@Module({
  imports: [StackOneModule, ThrottlingModule],
  controllers: [ProvidersController],
  providers: [ProvidersService],
  exports: [ProvidersService],
})
export class ProvidersModule {}
